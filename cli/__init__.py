"""The `buurtdekking` command line: argument parsing and dispatch to the floors below."""
