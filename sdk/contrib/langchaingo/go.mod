module github.com/tracium/tracium/sdk/contrib/langchaingo

go 1.26.8

replace github.com/tracium/tracium/sdk => ../..

require (
	github.com/petermattis/goid v0.0.0-20261109124353-7cfa343ad0ab
	github.com/tmc/langchaingo v0.1.14
	github.com/tracium/tracium/sdk v0.0.0
)

require (
	github.com/dlclark/regexp2 v1.10.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/pkoukk/tiktoken-go v0.1.6 // indirect
)
