"""The workspace's pages, one module per area. Views read through the ORM and write only through services."""
