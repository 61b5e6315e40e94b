"""Diagnostics: alignment metrics, certificates, the descent direction and the Hessian (DESIGN §1.5–1.7)."""

from featlearn.diagnostics.certificate import CertificateSup, certificate_sup, empirical_certificate
from featlearn.diagnostics.dual_certificate import AwayMax, Decay, DualCertificate, dual_certificate
from featlearn.diagnostics.features import FeatureKernel, feature_kernel
from featlearn.diagnostics.sphere import GreatCircle, great_circles

__all__ = [
    "AwayMax",
    "CertificateSup",
    "Decay",
    "DualCertificate",
    "FeatureKernel",
    "GreatCircle",
    "certificate_sup",
    "dual_certificate",
    "empirical_certificate",
    "feature_kernel",
    "great_circles",
]
