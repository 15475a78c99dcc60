// A runbook's prose as the page gets it: marked's HTML, sanitised before it leaves the server.
import { describe, expect, it } from 'vitest';
import { proseHtml } from '../../../lib/ui/web/doc.ts';

describe('prose as HTML', () => {
  it('keeps what Markdown means', () => {
    expect(proseHtml('Some **bold** and `code`.')).toBe(
      '<p>Some <strong>bold</strong> and <code>code</code>.</p>\n',
    );
    expect(proseHtml('```yaml\na: 1\n```')).toBe('<pre><code class="language-yaml">a: 1\n</code></pre>\n');
    expect(proseHtml('| a |\n| - |\n| b |')).toContain('<td>b</td>');
    expect(proseHtml('- [x] done')).toContain('<input checked disabled type="checkbox" />');
    expect(proseHtml('')).toBe('');
  });
  it('runs nothing: scripts, handlers, javascript: links and styles go', () => {
    expect(proseHtml('<script>alert(1)</script>text')).toBe('text');
    expect(proseHtml('<p onclick="alert(1)" style="color:red">x</p>')).toBe('<p>x</p>');
    expect(proseHtml('[x](javascript:alert(1))')).toBe(
      '<p><a target="_blank" rel="noopener noreferrer">x</a></p>\n',
    );
    expect(proseHtml('<iframe src="https://example.com"></iframe>')).toBe('');
    expect(proseHtml('<form><input type="text" name="q"></form>')).toBe('<span></span>');
  });
  it('loads nothing from outside: a remote image shows as its description', () => {
    expect(proseHtml('![a diagram](https://example.com/d.png)')).toBe(
      '<p><span class="image-alt">[image: a diagram]</span></p>\n',
    );
    expect(proseHtml('<img src="x" onerror="alert(1)">')).toBe('<span class="image-alt">[image: x]</span>');
    expect(proseHtml('![dot](data:image/png;base64,iVBORw0KGgo=)')).toBe(
      '<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="dot" /></p>\n',
    );
  });
  it('opens links apart from the page, without a referrer', () => {
    expect(proseHtml('[docs](https://example.com/docs)')).toBe(
      '<p><a href="https://example.com/docs" target="_blank" rel="noopener noreferrer">docs</a></p>\n',
    );
  });
});
