//go:build race

package racecheck

// Enabled: this binary was built with -race.
const Enabled = true
