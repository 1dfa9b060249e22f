/** The fenced code blocks of a Markdown text in one language, with the line each starts on. */
export function codeBlocks(markdown: string, language: string): Array<{ code: string; line: number }> {
  const blocks: Array<{ code: string; line: number }> = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== `\`\`\`${language}`) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    blocks.push({ code: lines.slice(start, end).join("\n"), line: start + 1 });
    i = end;
  }
  return blocks;
}
