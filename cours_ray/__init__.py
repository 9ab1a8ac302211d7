"""Machinerie du site Cours Ray : exécution des extraits au build, cache, Ray local."""
