complete --keep-order --exclusive --command kubenv --arguments "(COMPLETE=fish kubenv -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
