"""The LTI 1.3 layer: registrations, keys, login/launch, deep linking, service clients."""
