module netcon/tests/goprobe

go 1.19
