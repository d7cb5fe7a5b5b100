print("saga-inspect: being written")
