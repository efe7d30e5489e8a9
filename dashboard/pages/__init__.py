"""One module per page: register_page, its layout and its callbacks."""
