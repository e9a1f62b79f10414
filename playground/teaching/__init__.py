"""Teaching: lessons (as data), the backprop walkthrough, the diagnostics, the diagram's numbers and the
chart notes. They read the engine's layers and caches; they never restate the maths."""
