"""Structural-alert catalogues: RDKit's FilterCatalog sets by name, and QED's own alert list.

    alert_catalog("pains").HasMatch(mol)              # PAINS A, B and C
    alert_catalog("pains", "brenk").HasMatch(mol)     # either set
    len(qed_alert_catalog().GetMatches(mol))          # QED's ALERTS count

Each catalogue is built once per process and shared by screening and scoring.
"""

from __future__ import annotations

from functools import lru_cache

from rdkit.Chem import QED
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry, FilterCatalogParams, SmartsMatcher

#: RDKit FilterCatalog sets by the name molgan uses for them.
CATALOGS = {
    "pains": FilterCatalogParams.FilterCatalogs.PAINS,  # PAINS A, B and C (Baell & Holloway 2010)
    "brenk": FilterCatalogParams.FilterCatalogs.BRENK,  # Brenk et al. 2008 unwanted groups
    "nih": FilterCatalogParams.FilterCatalogs.NIH,  # NIH MLSMR excluded functionality
    "zinc": FilterCatalogParams.FilterCatalogs.ZINC,  # ZINC drug-likeness filters
}


@lru_cache(maxsize=None)
def alert_catalog(*names: str) -> FilterCatalog:
    """One FilterCatalog holding the named sets of :data:`CATALOGS` (a ``KeyError`` for others)."""
    params = FilterCatalogParams()
    for name in names:
        params.AddCatalog(CATALOGS[name])
    return FilterCatalog(params)


@lru_cache(maxsize=1)
def qed_alert_catalog() -> FilterCatalog:
    """The 116 structural alerts of ``rdkit.Chem.QED`` as one catalogue (counted in C++)."""
    catalog = FilterCatalog()
    for i, pattern in enumerate(QED.StructuralAlerts):
        catalog.AddEntry(FilterCatalogEntry(f"qed_alert_{i}", SmartsMatcher(f"qed_alert_{i}", pattern, 1)))
    return catalog
