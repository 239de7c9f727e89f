"""`memlint server`: a language server (LSP over stdio), a thin adapter over the engine."""
