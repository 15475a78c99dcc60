// Fields for values the person types: the ones a cell asks for when a step reads a variable nothing has
// set, and the declared inputs' form. One field (masked when the value is secret) and one way to read back
// what was typed, for both.
import type { AskField } from '../lib/ui/web/protocol.ts';
import { el } from './markup.ts';

/** The attribute a field carries its value's name in: a cell's question, or the inputs form. */
export type FieldKind = 'data-ask-name' | 'data-input-name';

/** A text field for the value `name`, a password field when it is secret. */
export function valueInput(name: string, secret: boolean | undefined, kind: FieldKind): HTMLInputElement {
  return el('input', {
    type: secret ? 'password' : 'text',
    [kind]: name,
    autocomplete: 'off',
    spellcheck: 'false',
  });
}

/** What was typed into the fields of `kind` under `host`, by name. */
export function typedValues(host: HTMLElement, kind: FieldKind): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of host.querySelectorAll<HTMLInputElement>(`input[${kind}]`)) {
    values[input.getAttribute(kind) as string] = input.value;
  }
  return values;
}

/** The question and one labelled field per value; `onEnter` when Enter is pressed in one. */
export function askFields(index: number, fields: AskField[], onEnter: () => void): HTMLElement[] {
  const inputs = fields.map((f) => {
    const input = valueInput(f.name, f.secret, 'data-ask-name');
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onEnter();
    });
    return el('label', {}, el('span', {}, f.name), input);
  });
  const what = fields.length === 1 ? 'a variable' : 'variables';
  return [el('p', {}, `Step ${index} reads ${what} nothing has set:`), ...inputs];
}
