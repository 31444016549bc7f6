# A terminal made by the test: runs a command with a fresh pty as its stdin/stdout/stderr and
# controlling terminal (as a login shell would give), and answers, as JSON on stdout:
#   output       everything the command wrote to the terminal
#   exit         its exit status
#   during/after which processes outside this pid namespace (that is: inside a container) hold the
#                terminal, looked up while it runs (--scan-at SECONDS) and after it returned
#   --input SECONDS:TEXT is typed at that time while it runs (repeatable)
#   late         what reached the terminal after the command returned (--linger SECONDS), while the
#                test types --type TEXT into it: a process left behind must neither see nor write it
# Run as root (it reads /proc/<pid>/fd of container processes); the command may drop to a test user.
import json, os, pty, select, signal, subprocess, sys, time

args = sys.argv[1:]
opts = {'--scan-at': None, '--linger': '0', '--type': None}
inputs = []  # (seconds after start, text): --input SECONDS:TEXT, repeatable
while args and (args[0] in opts or args[0] == '--input'):
    if args[0] == '--input':
        at, text = args[1].split(':', 1)
        inputs.append((float(at), text))
    else:
        opts[args[0]] = args[1]
    args = args[2:]
if args and args[0] == '--':
    args = args[1:]

master, slave = pty.openpty()
import termios
# No echo: what the test types must show up in `late` only if some process wrote it back.
attrs = termios.tcgetattr(slave)
attrs[3] &= ~termios.ECHO
termios.tcsetattr(slave, termios.TCSANOW, attrs)
# A terminal is known by its file, (st_dev, st_ino): a container's own devpts instance numbers its
# ptys from 0 too, so a container's /dev/pts/0 has the same st_rdev as the host's /dev/pts/0.
slave_st = os.fstat(slave)
slave_id = (slave_st.st_dev, slave_st.st_ino)
my_ns = os.readlink('/proc/self/ns/pid')


def holders():
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            if os.readlink(f'/proc/{pid}/ns/pid') == my_ns:
                continue
            for fd in os.listdir(f'/proc/{pid}/fd'):
                try:
                    st = os.stat(f'/proc/{pid}/fd/{fd}')
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) == slave_id:
                    comm = open(f'/proc/{pid}/comm').read().strip()
                    found.append({'pid': int(pid), 'fd': int(fd), 'comm': comm})
        except OSError:
            continue
    return found


def start():
    os.setsid()
    import fcntl, termios
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, preexec_fn=start, close_fds=True)
os.close(slave)
out = b''
during = None
t0 = time.time()


def drain(until):
    global out
    while time.time() < until:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            out += chunk


while proc.poll() is None:
    drain(time.time() + 0.05)
    if opts['--scan-at'] is not None and during is None and time.time() - t0 >= float(opts['--scan-at']):
        during = holders()
    while inputs and time.time() - t0 >= inputs[0][0]:
        # Typed as a person would, after the command had time to start (\n, \xNN escapes allowed).
        os.write(master, inputs.pop(0)[1].encode().decode('unicode_escape').encode('latin-1'))
drain(time.time() + 0.2)
after = holders()
before_late = len(out)
if opts['--type'] is not None:
    os.write(master, (opts['--type'] + '\n').encode())
drain(time.time() + float(opts['--linger']))
late = out[before_late:]
print(json.dumps({'output': out.decode('utf-8', 'replace'), 'exit': proc.returncode, 'during': during, 'after': after,
                  'late': late.decode('utf-8', 'replace')}))
