module harrier.test/real-cluster/pause

go 1.25.0
