"""Fitting behavioural parameters to real episodes (issue 12): episodes, observables, fit."""
