"""The app's pages, one module per family: catalogue, workspace, simulate, classes (joining,
the instructor's classes and projector), dashboard (a class live, its results); `status` is
the status line a redirect carries to the next page."""
