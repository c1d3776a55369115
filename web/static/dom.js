// @ts-check
// Building the DOM safely. Every value that comes from the logs (messages, units, identifiers,
// hosts, field names and values, labels) reaches the DOM through textContent, createTextNode or
// element.value: h() refuses any property with "html" in its name or starting with "on", and
// its text children become text nodes. There is no innerHTML, insertAdjacentHTML,
// document.write, eval or new Function anywhere in the dashboard.
//
// document is used only when a function is called, so this module loads in node --test
// (test/web/dom_test.mjs runs h() against a small fake document).

/** Properties h() sets as DOM properties; other keys become attributes. */
const PROPS = new Set(['className', 'textContent', 'href', 'value', 'id', 'title', 'type',
  'hidden', 'colSpan', 'tabIndex', 'disabled', 'name', 'selected', 'htmlFor', 'placeholder']);

/**
 * A child for h() or appendAll: a node, text (anything else is shown as String(value)), or an
 * array of children. null, undefined and false are skipped.
 * @typedef {Node | string | number | boolean | null | undefined | ChildArray} Child
 * @typedef {Array<Child>} ChildArray
 */

/**
 * Properties for h(). null, undefined and false values are skipped. dataset: data-* values;
 * events: {type: listener}; a key in PROPS is set as a property, any other as an attribute.
 * @typedef {Record<string, any>} Props
 */

/**
 * Throws for a property name that could turn data into markup or script.
 * @param {string} key
 */
export function checkProp(key) {
  if (/html/i.test(key) || /^on/i.test(key)) throw new Error('h(): refusing property ' + key);
}

/**
 * A new element. Props are all checked (checkProp) before the element is made.
 * @param {string} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 * @throws {Error} for a refused property (a bug in the caller, never caused by data).
 */
export function h(tag, props, ...children) {
  const entries = Object.entries(props || {}).filter(([, v]) => v != null && v !== false);
  for (const [k] of entries) checkProp(k);
  const e = document.createElement(tag);
  for (const [k, v] of entries) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'events') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (PROPS.has(k)) /** @type {any} */ (e)[k] = v;
    else e.setAttribute(k, String(v));
  }
  appendAll(e, children);
  return e;
}

/**
 * Appends children (see Child) to parent.
 * @template {Node} T
 * @param {T} parent
 * @param {...Child} children
 * @returns {T} parent
 */
export function appendAll(parent, ...children) {
  for (const c of /** @type {unknown[]} */ (children).flat(Infinity)) {
    if (c == null || c === false) continue;
    parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
}

/**
 * The element with this id. The pages are fixed markup, so ids the code names are there; a
 * missing one is a bug and fails where it is used.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/**
 * The form control with this id (an input, select or button), typed for .value/.disabled.
 * @param {string} id
 * @returns {HTMLInputElement}
 */
export function $control(id) {
  return /** @type {HTMLInputElement} */ (document.getElementById(id));
}

/**
 * Replaces the content of target (an element or an id; nothing happens if there is no such
 * element) with children.
 * @param {string | HTMLElement} target
 * @param {...Child} children
 * @returns {HTMLElement | null} the element
 */
export function setContent(target, ...children) {
  const e = typeof target === 'string' ? document.getElementById(target) : target;
  if (!e) return null;
  e.replaceChildren();
  return appendAll(e, children);
}

/**
 * A message box: kind "info", "warn" or "error" (announced as an alert).
 * @param {'info' | 'warn' | 'error'} kind
 * @param {string} text
 * @returns {HTMLElement}
 */
export function message(kind, text) {
  return h('div', { className: 'msg msg-' + kind, role: kind === 'error' ? 'alert' : null }, text);
}
