print("crashfwd")
