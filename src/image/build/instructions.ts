// The parsed form of each Dockerfile instruction. Values that Docker expands with ARG/ENV at build
// time (FROM, ENV, LABEL, WORKDIR, USER, COPY, EXPOSE …) are kept raw here and expanded by the
// builder step by step, because the values in scope change as the stages run.
import type { CommandForm } from './dockerfile-args.js';

interface Base {
  line: number;
  /** The instruction as written (continuations joined), for history entries and errors. */
  original: string;
}

export interface NameValue {
  name: string;
  value: string;
}

export type Instruction = Base &
  (
    | { kind: 'FROM'; image: string; alias?: string; platform?: string }
    | { kind: 'RUN'; command: CommandForm; flags: Record<string, string | true> }
    | { kind: 'CMD'; command: CommandForm }
    | { kind: 'ENTRYPOINT'; command: CommandForm }
    | { kind: 'SHELL'; shell: string[] }
    | { kind: 'ENV'; pairs: NameValue[] }
    | { kind: 'LABEL'; pairs: NameValue[] }
    | { kind: 'ARG'; args: { name: string; value?: string }[] }
    | { kind: 'WORKDIR'; path: string }
    | { kind: 'USER'; user: string }
    | { kind: 'EXPOSE'; ports: string[] }
    | { kind: 'VOLUME'; paths: string[]; json: boolean }
    | { kind: 'STOPSIGNAL'; signal: string }
    | { kind: 'MAINTAINER'; name: string }
    | { kind: 'COPY' | 'ADD'; sources: string[]; dest: string; json: boolean; from?: string; chown?: string; chmod?: string }
    | { kind: 'HEALTHCHECK'; test: string[]; interval?: string; timeout?: string; startPeriod?: string; startInterval?: string; retries?: number }
    /** `trigger` is the instruction as written after ONBUILD; it runs when an image is built FROM this one. */
    | { kind: 'ONBUILD'; trigger: string }
  );


export interface Stage {
  /** Index among the Dockerfile's stages. */
  index: number;
  from: Extract<Instruction, { kind: 'FROM' }>;
  steps: Instruction[];
}

export interface Dockerfile {
  escape: '\\' | '`';
  syntax?: string;
  /** ARGs declared before the first FROM: usable in FROM lines, and re-declared inside stages. */
  globalArgs: Extract<Instruction, { kind: 'ARG' }>[];
  stages: Stage[];
}
