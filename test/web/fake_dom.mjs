// A small fake of the DOM, enough for web/static/dom.js and render.js in node --test: elements
// with properties, attributes, dataset, listeners and children, and text nodes. It has no HTML
// parser at all, so markup can only appear in it as text, which is what the tests check.

export class FakeNode {}

export class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.data = data;
  }

  get textContent() {
    return this.data;
  }
}

export class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.childNodes = [];
    this.attributes = new Map();
    this.dataset = {};
    this.listeners = {};
  }

  appendChild(c) {
    if (!(c instanceof FakeNode)) throw new TypeError('appendChild: not a node: ' + String(c));
    this.childNodes.push(c);
    return c;
  }

  replaceChildren(...c) {
    this.childNodes = [];
    for (const x of c) this.appendChild(x);
  }

  setAttribute(k, v) {
    this.attributes.set(k, String(v));
  }

  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }

  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }

  get children() {
    return this.childNodes.filter((c) => c instanceof FakeElement);
  }

  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }
}

/** Every element below (and including) root, depth first. */
export function allElements(root) {
  const out = [root];
  for (const c of root.children) out.push(...allElements(c));
  return out;
}

/** Installs document and Node as globals; returns the list of elements created. */
export function installFakeDom() {
  const created = [];
  globalThis.Node = FakeNode;
  globalThis.document = {
    createElement(tag) {
      const e = new FakeElement(tag);
      created.push(e);
      return e;
    },
    createTextNode(data) {
      return new FakeText(data);
    },
    getElementById() {
      return null;
    },
  };
  return created;
}
