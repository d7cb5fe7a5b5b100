print("saga-bench: not written yet")
