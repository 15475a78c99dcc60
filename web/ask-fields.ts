// The fields a cell shows for the values a step reads that nothing has set (masked when the name looks
// secret), and reading back what was typed. Enter in any field runs the step with them.
import type { AskField } from '../lib/ui/web/protocol.ts';
import { el } from './markup.ts';

/** The question and one labelled field per value; `onEnter` when Enter is pressed in one. */
export function askFields(index: number, fields: AskField[], onEnter: () => void): HTMLElement[] {
  const inputs = fields.map((f) => {
    const input = el('input', {
      type: f.secret ? 'password' : 'text',
      'data-ask-name': f.name,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onEnter();
    });
    return el('label', {}, el('span', {}, f.name), input);
  });
  const what = fields.length === 1 ? 'a variable' : 'variables';
  return [el('p', {}, `Step ${index} reads ${what} nothing has set:`), ...inputs];
}

/** What was typed into the fields under `host`, by name. */
export function typedAnswers(host: HTMLElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of host.querySelectorAll<HTMLInputElement>('input[data-ask-name]')) {
    values[input.dataset.askName as string] = input.value;
  }
  return values;
}
