import * as assert from 'node:assert/strict';
import { findLinks } from '../src/links';

describe('findLinks', () => {
  const cases: { name: string; text: string; files: string[]; want: [string, number, number][] }[] = [
    { name: 'gcc', text: "main.c: In function 'main':\nmain.c:5:13: error: 'x' undeclared\n", files: ['main.c'], want: [['main.c:5:13', 5, 13]] },
    { name: 'go', text: './main.go:7:14: undefined: x\n', files: ['main.go'], want: [['./main.go:7:14', 7, 14]] },
    { name: 'python', text: 'Traceback (most recent call last):\n  File "/work/hello.py", line 2, in <module>\n', files: ['hello.py'], want: [['/work/hello.py", line 2', 2, 0]] },
    { name: 'javac', text: 'Main.java:3: error: cannot find symbol\n', files: ['Main.java'], want: [['Main.java:3', 3, 0]] },
    { name: 'fpc', text: 'main.pas(5,8) Error: Identifier not found "x"\n', files: ['main.pas'], want: [['main.pas(5,8)', 5, 8]] },
    { name: 'perl', text: 'Illegal division by zero at main.pl line 6.\n', files: ['main.pl'], want: [['main.pl line 6', 6, 0]] },
    { name: 'node frames', text: '    at f (/work/main.js:2:23)\n    at node:internal/x.js:1:1\n', files: ['main.js'], want: [['/work/main.js:2:23', 2, 23]] },
    { name: 'other files', text: '/usr/lib/python3.11/json/decoder.py:337\nnot_main.c:3:1\n', files: ['main.c'], want: [] },
    { name: 'no files', text: 'main.c:1:1: error\n', files: [], want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = findLinks(c.text, c.files).map((l) => [c.text.slice(l.offset, l.offset + l.length), l.line, l.column]);
      assert.deepEqual(got, c.want);
    });
  }
});
