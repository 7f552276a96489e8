module github.com/tracium/tracium/sdk

go 1.26.0
