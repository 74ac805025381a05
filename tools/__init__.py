"""Build-time tools: model conversion and packaging. Never imported by the unit at run time."""
