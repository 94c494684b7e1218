// Command rtchat is a serverless, end-to-end encrypted peer-to-peer messaging tool.
package main

import (
	"os"

	"github.com/rtchat/rtchat/commands"
)

func main() {
	os.Exit(commands.Execute())
}
