"""Road-file readers, one module per schema; `geodata.network` is the public entry point."""
