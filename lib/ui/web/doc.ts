// The runbook as the page shows it: title, prose as HTML, and each step as a cell with its status, code and
// the variables it uses. Pure apart from the variable analysis: the notebook's cells in, plain data out.
// A runbook from a repository is not trusted to run script in the page: marked's HTML is sanitised here
// (sanitize-html) before it leaves the server, and again in the page (DOMPurify).
import path from 'node:path';
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import type { Runbook, Step } from '../../core/types.ts';
import type { Cell as CellState } from '../../engine/notebook.ts';
import type { VarSources } from '../step-vars.ts';
import { StepVariables } from '../step-vars.ts';
import { runbookTitle } from '../view.ts';
import type { CellView, DocView } from './protocol.ts';

const markdown = new Marked({ gfm: true });

const SAFE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'del', 'ins', 'input'],
  allowedAttributes: {
    a: ['href', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'title'],
    code: ['class'],
    span: ['class'],
    th: ['align'],
    td: ['align'],
    ol: ['start'],
    input: ['type', 'checked', 'disabled'],
  },
  allowedClasses: { code: ['language-*'], span: ['image-alt'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['data'] },
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' },
    }),
    // The page loads nothing from outside: an image that is not inline data shows as its description.
    img: (tagName, attribs) =>
      attribs.src?.startsWith('data:image/')
        ? { tagName, attribs }
        : {
            tagName: 'span',
            attribs: { class: 'image-alt' },
            text: `[image: ${attribs.alt || attribs.src || ''}]`,
          },
    // A task list's boxes show, and nothing else of a form does.
    input: (tagName, attribs) => ({
      tagName: attribs.type === 'checkbox' ? tagName : 'span',
      attribs: attribs.type === 'checkbox' ? { ...attribs, disabled: '' } : {},
    }),
  },
};

/** Markdown as HTML that runs nothing and loads nothing. */
export function proseHtml(text: string): string {
  if (!text.trim()) return '';
  return sanitizeHtml(markdown.parse(text, { async: false }), SAFE);
}

/** The variables of each step, analysed once per code; values from the live context. */
export class DocBuilder {
  private readonly vars: StepVariables;

  constructor(sources: () => VarSources) {
    this.vars = new StepVariables(sources);
  }

  async cell(state: CellState, code: string): Promise<CellView> {
    const { step, result } = state;
    const vars = await this.vars.views(step, code, 'the page asks for it');
    const view: CellView = {
      index: step.index,
      name: step.name,
      lang: step.kind === 'js' ? 'javascript' : 'bash',
      code,
      fileCode: step.code,
      proseHtml: proseHtml(step.prose),
      status: state.status,
      stale: state.stale,
      edited: state.edited,
      runs: state.runs,
      attempts: result.attempts,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      vars,
      current: state.current,
    };
    if (result.message) view.message = result.message;
    return view;
  }

  async doc(runbook: Runbook, file: string, cells: { state: CellState; code: string }[]): Promise<DocView> {
    return {
      title: runbookTitle(runbook, file),
      file: path.basename(file),
      cells: await Promise.all(cells.map((c) => this.cell(c.state, c.code))),
      epilogueHtml: proseHtml(runbook.epilogue),
    };
  }

  /** Names the step reads that nothing provides: the page asks for them before it runs. */
  missing(step: Step, code: string): Promise<string[]> {
    return this.vars.missing(step, code);
  }

  skipWarnings(step: Step, later: Step[]): Promise<string[]> {
    return this.vars.skipWarnings(step, later);
  }
}
