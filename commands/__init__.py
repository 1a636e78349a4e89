"""One module per `yolotrack` subcommand: `configure(parser)` adds its flags, `run(args)` does it."""
