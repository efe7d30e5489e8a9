"""The buurtdekking pipeline: validated inputs → joins → metrics → atlas on disk."""
