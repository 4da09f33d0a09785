"""Pure algorithms of crisiscell: no Django import allowed in this package."""
