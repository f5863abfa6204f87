"""The environment variables feedsvc reads: the one users set, and those the command
sets for the worker processes it starts."""

CONFIG_ENV = "FEEDSVC_CONFIG"  # the config file, when --config is not given
LEVEL_ENV = "FEEDSVC_LOG_LEVEL"  # the log level the command was given
SCHEDULED_ENV = "FEEDSVC_SCHEDULED"  # "1": the workers of `run`, which rebuild
LISTEN_FD_ENV = "FEEDSVC_LISTEN_FD"  # a listening socket handed to a restarted `run`
