import DOMPurify from "dompurify";
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/lib/markdown/render";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

describe("renderMarkdown", () => {
  it("renders CommonMark and GFM: headings, lists, links, tables", () => {
    const html = renderMarkdown("# Title\n\n- one\n- two\n\n[site](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    const root = dom(html);
    expect(root.querySelector("h1")?.textContent).toBe("Title");
    expect(root.querySelectorAll("li")).toHaveLength(2);
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://example.com");
    expect(root.querySelectorAll("table td")).toHaveLength(2);
  });

  it("makes code blocks reachable by keyboard (they scroll when wide)", () => {
    const root = dom(renderMarkdown("```js\nconst a = 1;\n```\n"));
    expect(root.querySelector("pre")?.getAttribute("tabindex")).toBe("0");
  });

  it("shows raw HTML as text and keeps nothing that runs", () => {
    const evil = '<script>alert(1)</script><img src=x onerror="alert(2)"><svg onload="alert(3)"></svg>';
    const root = dom(renderMarkdown(`hello ${evil}\n\n${evil}`));
    expect(root.querySelector("script, img, svg, [onerror], [onload]")).toBeNull();
    expect(root.textContent).toContain("<script>alert(1)</script>");
    expect(root.textContent).toContain("<img src=x onerror=");
  });

  it("drops javascript: and data: links, keeping their text", () => {
    const root = dom(renderMarkdown("[a](javascript:alert(1)) [b](data:text/html,<b>x</b>) [c](JaVaScRiPt:alert(1))"));
    for (const a of root.querySelectorAll("a")) {
      expect(a.getAttribute("href") ?? "").not.toMatch(/^(javascript|data):/i);
    }
    expect(root.textContent).toContain("a");
    expect(root.querySelectorAll("a[href]")).toHaveLength(0);
  });

  it("turns images into links, so content cannot make the page load anything", () => {
    const root = dom(renderMarkdown("![pic](https://evil.example/track.png)"));
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("a")?.getAttribute("href")).toBe("https://evil.example/track.png");
  });

  it("keeps no style attribute (the CSP forbids inline style)", () => {
    const root = dom(renderMarkdown('<p style="color:red">x</p>\n\ntext'));
    expect(root.querySelector("[style]")).toBeNull();
  });

  it("closes a fence indented inside a list item without swallowing the rest", () => {
    const text = "1. Run this:\n   ```bash\n   ls -la\n   ```\n2. Then read **README**.\n\nAfter the list.";
    const root = dom(renderMarkdown(text));
    expect(root.querySelectorAll("pre")).toHaveLength(1);
    expect(root.querySelector("pre")?.textContent).toBe("ls -la");
    expect(root.querySelector("strong")?.textContent).toBe("README");
    expect(root.textContent).toContain("After the list.");
  });

  it("closes a fence whose closing line is indented up to three spaces", () => {
    const root = dom(renderMarkdown("```python\nprint(1)\n  ```\nafter **bold**"));
    expect(root.querySelector("pre")?.textContent).toBe("print(1)");
    expect(root.querySelector("strong")?.textContent).toBe("bold");
  });

  it("labels code blocks with their language for the highlighter", () => {
    const root = dom(renderMarkdown("```ts\nconst a = 1;\n```"));
    expect(root.querySelector("code")?.className).toBe("language-ts");
    expect(root.querySelector(".code-lang")?.textContent).toBe("ts");
  });

  it("sanitizes with its own DOMPurify: the shared one keeps its own rules (search snippets)", () => {
    // Markdown's config and link hook are set once on its own instance; they used to be added to
    // the shared one, so every other caller's links were rewritten too.
    const root = dom(renderMarkdown("[site](https://example.com) and <b>raw</b>"));
    expect(root.querySelector("a")?.getAttribute("target")).toBe("_blank");
    expect(root.querySelector("b")).toBeNull();
    const shared = DOMPurify.sanitize('<a href="https://example.com">x</a>');
    expect(shared).not.toContain("target");
    expect(shared).not.toContain("rel=");
  });
});
