// fabrikam-service: placeholder, being written.
print("fabrikam-service")
