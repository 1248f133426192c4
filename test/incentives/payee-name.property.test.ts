import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalisedName } from '../../src/modules/learners/payee-account/payee-account.service.js';

const accents: Record<string, string> = { a: 'á', e: 'é', i: 'ï', o: 'ô', u: 'ü', n: 'ñ', c: 'ç' };
const word = fc.stringMatching(/^[a-z]{1,12}$/);
const name = fc.array(word, { minLength: 1, maxLength: 5 });

/** The same name as a person might write it: any case, accents, spaces, hyphens or dots between the words. */
const writtenAs = (words: string[]) =>
  fc.tuple(
    fc.array(fc.constantFrom(' ', '  ', '-', '. ', ', ', ' - '), { minLength: words.length - 1, maxLength: words.length - 1 }),
    fc.array(fc.boolean(), { minLength: words.length, maxLength: words.length }),
    fc.boolean(),
  ).map(([separators, upper, accented]) =>
    ` ${words.map((w, i) => {
      const shown = accented ? [...w].map((ch) => accents[ch] ?? ch).join('') : w;
      return upper[i] ? shown.toUpperCase() : shown;
    }).reduce((s, w, i) => (i === 0 ? w : `${s}${separators[i - 1]}${w}`), '')} `);

describe('the name on a payee account', () => {
  it('when the learner\'s name is written with any case, accents or punctuation between its words, then it is the same name', () => {
    fc.assert(fc.property(name.chain((words) => fc.tuple(fc.constant(words.join(' ')), writtenAs(words))), ([registered, written]) => {
      expect(normalisedName(written)).toBe(normalisedName(registered));
    }));
  });

  it('when a letter is added, dropped or changed, or words are swapped, then it is another name', () => {
    fc.assert(fc.property(name, fc.nat(), fc.constantFrom('add', 'drop', 'change', 'swap'), (words, at, how) => {
      const letters = words.join(' ');
      const i = at % letters.length;
      let other: string;
      if (how === 'add') other = `${letters.slice(0, i)}x${letters.slice(i)}`;
      else if (how === 'drop') other = letters.slice(0, i) + letters.slice(i + 1);
      else if (how === 'change') other = letters.slice(0, i) + (letters[i] === 'q' ? 'z' : 'q') + letters.slice(i + 1);
      else other = [...words].reverse().join(' ');
      fc.pre(other.replace(/ /g, '') !== letters.replace(/ /g, '') || how === 'swap');
      fc.pre(normalisedName(other) !== '' && other !== letters);
      fc.pre(!(how === 'drop' && letters[i] === ' '));
      expect(normalisedName(other)).not.toBe(normalisedName(letters));
    }));
  });
});
