"""The workspace's console: what its forms do (`actions`) and what it shows (`panels`)."""
