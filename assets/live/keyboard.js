// The page's keyboard and playback bar: shortcuts, skip links, and a Pause click said on the live stream at once.
//
// Space plays and pauses, → (ArrowRight) steps one epoch, R resets: each clicks the playback bar's own
// button (so a shortcut is exactly a click: same callback, same lock, nothing when the button is hidden by a
// link or disabled). Components v2 run in the page's own document (no iframe), so one listener on it sees
// every key; it is installed once per page. Keys typed into a field, a select, a slider or a menu are theirs;
// so is Space on a button reached with Tab (the keyboard user presses that button), but not on one last
// clicked with the mouse (Space then means Play, as a presenter expects). Chromium's :focus-visible cannot
// tell the two apart here (any key press makes the focused element match it), so the listener remembers
// whether the focus last moved by Tab or by a pointer.
// Two skip links, first in the tab order, lead past the sidebar: to Play and to the lesson picker.

import { askOnStream } from "./stream.js";

const SHORTCUTS = { " ": "play_pause", ArrowRight: "step_one", r: "reset", R: "reset" };
const KEYS_OF_THEIR_OWN =
  'input, textarea, select, [contenteditable]:not([contenteditable="false"]), [role="textbox"], ' +
  '[role="combobox"], [role="listbox"], [role="option"], [role="slider"], [role="spinbutton"], [role="menu"], ' +
  '[role="menuitem"], [role="tablist"], [role="tab"], [role="radiogroup"], [role="radio"], [role="dialog"]';
const PRESSABLE = 'button, a[href], summary, label, [role="button"], [role="switch"], [role="checkbox"]';
const SKIP_LINKS = [
  { text: "Skip to Play (Space plays and pauses, → steps, R resets)", target: ".st-key-play_pause button" },
  { text: "Skip to the lessons", target: ".st-key-w_lesson input" },
];

function shortcutButton(name) {
  const button = document.querySelector(`.st-key-${name} button`);
  return button && !button.disabled ? button : null;
}

function onShortcutKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const name = SHORTCUTS[event.key];
  if (!name) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target && target.closest(KEYS_OF_THEIR_OWN)) return;
  if (event.key === " " && target && target.closest(PRESSABLE) && focusByKeyboard) return;
  const button = shortcutButton(name);
  if (!button) return;
  event.preventDefault(); // Space would scroll the page, or press the button the mouse last clicked
  if (event.repeat) return; // a held key is one press
  button.click();
  window.__backpropShortcutPresses = (window.__backpropShortcutPresses || 0) + 1; // read by the browser tests
}

function installSkipLinks() {
  if (document.querySelector(".bp-skip-links")) return;
  const nav = document.createElement("nav");
  nav.className = "bp-skip-links";
  nav.setAttribute("aria-label", "Skip links");
  for (const { text, target } of SKIP_LINKS) {
    const link = document.createElement("a");
    link.href = "#";
    link.className = "bp-skip-link";
    link.textContent = text;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const element = document.querySelector(target);
      if (element) {
        focusByKeyboard = event.detail === 0; // Enter on the link (a mouse click has detail >= 1)
        element.focus();
        element.scrollIntoView({ block: "nearest" });
      }
    });
    nav.appendChild(link);
  }
  document.body.prepend(nav); // outside Streamlit's React root: never re-rendered away
}

let focusByKeyboard = false; // did the focus last move by Tab (true) or by a pointer (false)?

// Pause says so on the stream too, at once: the click's own script run (which relabels the button) waits for
// Streamlit's round trip, a second or more on a slow machine, and meanwhile the stream would go on training.
// Only a pause: it is idempotent (the button's callback sets playing to False, never toggles), so the click's
// run, arriving later, finds the run paused and changes nothing.
function onPlayPauseClick(event) {
  const button = event.target instanceof Element ? event.target.closest(".st-key-play_pause button") : null;
  if (button && button.innerText.trim() === "Pause" && askOnStream({ type: "pause" })) {
    window.__backpropStreamPauses = (window.__backpropStreamPauses || 0) + 1; // read by the browser tests
  }
}

export function installShortcuts() {
  if (window.__backpropShortcuts) return;
  window.__backpropShortcuts = true;
  document.addEventListener("keydown", (event) => event.key === "Tab" && (focusByKeyboard = true), true);
  document.addEventListener("pointerdown", () => (focusByKeyboard = false), true);
  document.addEventListener("keydown", onShortcutKey);
  document.addEventListener("click", onPlayPauseClick, true);
  installSkipLinks();
}
