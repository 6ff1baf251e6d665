import * as assert from 'node:assert/strict';
import { globToRegExp, isGlob, matchesRunOnSave } from '../src/runOnSave';

describe('runOnSave', () => {
  it('matches language ids and globs', () => {
    const py = { languageId: 'python', relativePath: 'src/app/main.py' };
    const c = { languageId: 'c', relativePath: 'scratch/a.c' };
    const cases: Array<[string[], typeof py, boolean]> = [
      [[], py, false],
      [['python'], py, true],
      [['Python'], py, true],
      [['go', 'python'], py, true],
      [['go'], py, false],
      [['*.py'], py, true], // no "/": the file name
      [['main.py'], py, true],
      [['other.py'], py, false],
      [['**/*.py'], py, true],
      [['src/**/*.py'], py, true],
      [['src/*.py'], py, false],
      [['src/app/*.py'], py, true],
      [['./src/app/main.py'], py, true],
      [['*.{c,h}'], c, true],
      [['scratch/[ab].c'], c, true],
      [['scratch/[!ab].c'], c, false],
      [['scratch/?.c'], c, true],
      [['**/*.py'], c, false],
      [['', '  '], py, false],
    ];
    for (const [entries, doc, want] of cases) {
      assert.equal(matchesRunOnSave(entries, doc), want, `${JSON.stringify(entries)} on ${doc.relativePath}`);
    }
  });

  it('Windows separators in the path', () => {
    assert.equal(matchesRunOnSave(['src/*.py'], { languageId: 'python', relativePath: 'src\\a.py' }), true);
  });

  it('isGlob', () => {
    assert.equal(isGlob('python'), false);
    assert.equal(isGlob('objective-c'), false);
    assert.equal(isGlob('*.py'), true);
    assert.equal(isGlob('hello.py'), true);
  });

  it('globToRegExp escapes regexp characters', () => {
    assert.equal(globToRegExp('a+b(1).py').test('a+b(1).py'), true);
    assert.equal(globToRegExp('a.py').test('abpy'), false);
  });
});
