# Scenarios, learner progress and classes will live here.
