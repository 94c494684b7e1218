package commands

// versionString is replaced by the version helper's implementation.
func versionString() string { return "dev" }
