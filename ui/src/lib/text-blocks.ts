/** Text from app.yaml as blocks to show; no Svelte here, so plain tests can import it. */

export interface TextBlock {
  list: boolean;
  lines: string[];
}

/**
 * An app's description or notes, as app.yaml authors write them (YAML block text, wrapped
 * by hand, `- ` for list items), as blocks to show: paragraphs and lists, each item or
 * paragraph one line, so the text wraps to the screen and not to the author's editor.
 */
export function textBlocks(text: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  let current: TextBlock | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      current = undefined;
      continue;
    }
    const item = /^[-*]\s+/.exec(line);
    if (item) {
      if (!current?.list) {
        current = { list: true, lines: [] };
        blocks.push(current);
      }
      current.lines.push(line.slice(item[0].length));
    } else if (current) {
      const last = current.lines.length - 1;
      current.lines[last] = `${current.lines[last]} ${line}`;
    } else {
      current = { list: false, lines: [line] };
      blocks.push(current);
    }
  }
  return blocks;
}
