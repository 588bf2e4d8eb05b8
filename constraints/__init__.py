"""One module per hard rule of DESIGN.md; ``registry.RULES`` lists them."""
