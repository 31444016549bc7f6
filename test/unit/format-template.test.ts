import { describe, expect, it } from 'vitest';
import { compileTemplate, goString, parseFormat } from '../../src/format/template.js';

const render = (src: string, data: unknown, missing: 'error' | 'novalue' = 'novalue') => compileTemplate(src, { missing }).render(data);

const inspectLike = {
  Id: 'abc',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0 },
  Config: { Env: ['A=1', 'B=2'], Cmd: null, Labels: {}, ExposedPorts: { '80/tcp': {} } },
  NetworkSettings: { IPAddress: '172.17.0.2', Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8088' }] } },
};

describe('Go text/template subset', () => {
  it('fields and nested fields', () => {
    expect(render('{{.State.Status}}', inspectLike)).toBe('running');
    expect(render('{{.NetworkSettings.IPAddress}}', inspectLike)).toBe('172.17.0.2');
    expect(render('{{ .Name }} {{.State.Pid}}', inspectLike)).toBe('/web 42');
    expect(render('pid={{.State.Pid}}, ok={{.State.Running}}', inspectLike)).toBe('pid=42, ok=true');
  });
  it('json like Docker (compact, no HTML escaping)', () => {
    expect(render('{{json .Config}}', inspectLike)).toBe('{"Env":["A=1","B=2"],"Cmd":null,"Labels":{},"ExposedPorts":{"80/tcp":{}}}');
    expect(render('{{json .State.Status}}', inspectLike)).toBe('"running"');
    expect(render('{{json .X}}', { X: '<a&b>' })).toBe('"<a&b>"');
  });
  it('Go %v printing of lists, maps and missing keys', () => {
    expect(render('{{.Config.Env}}', inspectLike)).toBe('[A=1 B=2]');
    expect(render('{{.NetworkSettings.Ports}}', inspectLike)).toBe('map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8088]]]');
    expect(render('{{.Nope}}', inspectLike)).toBe('<no value>');
    expect(goString(null)).toBe('<nil>');
  });
  it('struct-like data refuses unknown fields', () => {
    expect(() => render('{{.Nope}}', { ID: 'x' }, 'error')).toThrow(/can't evaluate field Nope/);
  });
  it('functions and pipelines', () => {
    expect(render('{{join .Config.Env ","}}', inspectLike)).toBe('A=1,B=2');
    expect(render('{{.Name | upper}}', inspectLike)).toBe('/WEB');
    expect(render('{{lower "ABC"}} {{title "hello world"}}', {})).toBe('abc Hello World');
    expect(render('{{truncate .Id 2}}|{{pad .Id 1 2}}|', inspectLike)).toBe('ab| abc  |');
    expect(render('{{index .NetworkSettings.Ports "80/tcp"}}', inspectLike)).toBe('[map[HostIp:0.0.0.0 HostPort:8088]]');
    expect(render('{{len .Config.Env}}', inspectLike)).toBe('2');
    expect(render('{{index (index .NetworkSettings.Ports "80/tcp") 0}}', inspectLike)).toBe('map[HostIp:0.0.0.0 HostPort:8088]');
    expect(render('{{printf "%s:%d" .Name .State.Pid}}', inspectLike)).toBe('/web:42');
    expect(render('{{split "a:b" ":"}}', {})).toBe('[a b]');
    expect(render('{{println .Name}}', inspectLike)).toBe('/web\n');
  });
  it('if / else if / else / with / range', () => {
    expect(render('{{if .State.Running}}up{{else}}down{{end}}', inspectLike)).toBe('up');
    expect(render('{{if eq .State.Status "exited"}}x{{else if eq .State.Status "running"}}r{{else}}?{{end}}', inspectLike)).toBe('r');
    expect(render('{{if and .State.Running (eq .State.Pid 42)}}y{{end}}', inspectLike)).toBe('y');
    expect(render('{{if not .Config.Cmd}}no cmd{{end}}', inspectLike)).toBe('no cmd');
    expect(render('{{with .NetworkSettings}}{{.IPAddress}}{{end}}', inspectLike)).toBe('172.17.0.2');
    expect(render('{{range .Config.Env}}[{{.}}]{{end}}', inspectLike)).toBe('[A=1][B=2]');
    expect(render('{{range $.Config.Env}}{{$.Name}}{{end}}', inspectLike)).toBe('/web/web');
    expect(render('{{range .Config.Labels}}x{{else}}none{{end}}', inspectLike)).toBe('none');
    expect(render('{{range .NetworkSettings.Ports}}{{len .}}{{end}}', inspectLike)).toBe('1');
    expect(render('{{if or .Missing .Name}}{{or .Missing .Name}}{{end}}', inspectLike)).toBe('/web');
  });
  it('trim markers and comments', () => {
    expect(render('a  {{- .Name -}}  b{{/* hi */}}', inspectLike)).toBe('a/webb');
  });
  it('errors are usage errors with Go-like messages', () => {
    expect(() => render('{{.Name', {})).toThrow(/unclosed action/);
    expect(() => render('{{if .A}}x', {})).toThrow(/missing \{\{end\}\}/);
    expect(() => render('{{nosuch .A}}', {})).toThrow(/function "nosuch" not defined/);
    expect(() => render('{{end}}', {})).toThrow(/unexpected/);
  });
  it('--format parsing: table prefix and \\t escapes', () => {
    expect(parseFormat('table {{.ID}}\\t{{.Names}}')).toEqual({ table: true, body: '{{.ID}}\t{{.Names}}' });
    expect(parseFormat('{{.ID}}')).toEqual({ table: false, body: '{{.ID}}' });
  });
});

describe('Go template variables', () => {
  const doc = { Name: '/web', Config: { Labels: { tier: 'web', app: 'lab' }, Env: ['A=1', 'B=2'] }, Options: {} };
  it('range $k, $v over a map (sorted keys) and over a list (index)', () => {
    expect(render('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', doc)).toBe('app=lab;tier=web;');
    expect(render('{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}', doc)).toBe('0:A=1 1:B=2 ');
    expect(render('{{range $e := .Config.Env}}{{$e}},{{end}}', doc)).toBe('A=1,B=2,');
    expect(render('{{range $k, $v := .Options}}x{{else}}none{{end}}', doc)).toBe('none');
  });
  it('declaration, use inside blocks, $ and assignment', () => {
    expect(render('{{$n := .Name}}{{range .Config.Env}}{{$n}}:{{.}} {{end}}', doc)).toBe('/web:A=1 /web:B=2 ');
    expect(render('{{$c := .Config}}{{$c.Labels.tier}}', doc)).toBe('web');
    expect(render('{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}', doc)).toBe('b');
    expect(render('{{with $l := .Config.Labels}}{{$l.app}} {{.tier}}{{end}}', doc)).toBe('lab web');
    expect(render('{{range .Config.Env}}{{$.Name}}{{end}}', doc)).toBe('/web/web');
  });
  it('a variable used out of its block, or never declared, is an error', () => {
    expect(() => render('{{if true}}{{$x := 1}}{{end}}{{$x}}', doc)).toThrow(/undefined variable "\$x"/);
    expect(() => render('{{$y}}', doc)).toThrow(/undefined variable "\$y"/);
    expect(() => render('{{$a, $b := .Name}}', doc)).toThrow(/too many declarations/);
  });
});
