"""Stage 3, rendering: executed slides -> HTML (markdown-it rules, code highlighting, math as SVG,
inlined assets), the interactive deck and the print document, the PDF (WeasyPrint) and its page-fit
check."""
