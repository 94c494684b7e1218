//go:build race

package stream_test

func init() { raceEnabled = true }
