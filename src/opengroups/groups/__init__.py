"""Groups: the seed's group model, visibility, hierarchy."""
