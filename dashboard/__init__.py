"""The buurtdekking Dash app: reads the atlas, never rewrites it."""
