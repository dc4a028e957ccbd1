"""FHIR R4 resource types Socle knows but deliberately does not load (counted as skipped)."""

SKIPPED_TYPES = frozenset(
    """
    Account ActivityDefinition AdverseEvent Appointment AppointmentResponse AuditEvent Basic
    Binary BiologicallyDerivedProduct BodyStructure CapabilityStatement CarePlan CareTeam
    CatalogEntry ChargeItem Claim ClaimResponse ClinicalImpression Communication
    CommunicationRequest Composition ConceptMap Consent Contract Coverage
    CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
    DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport
    DocumentManifest DocumentReference Endpoint EnrollmentRequest EnrollmentResponse
    EpisodeOfCare EventDefinition Evidence ExplanationOfBenefit FamilyMemberHistory Flag Goal
    Group GuidanceResponse HealthcareService ImagingStudy ImmunizationEvaluation
    ImmunizationRecommendation InsurancePlan Invoice Library Linkage List Location Measure
    MeasureReport Media Medication MedicationDispense MedicationKnowledge MessageHeader
    NutritionOrder OperationOutcome Organization OrganizationAffiliation Parameters Person
    PlanDefinition Practitioner PractitionerRole Provenance Questionnaire
    QuestionnaireResponse RelatedPerson RequestGroup ResearchStudy ResearchSubject RiskAssessment
    Schedule ServiceRequest Slot Specimen Subscription Substance SupplyDelivery SupplyRequest Task
    ValueSet VisionPrescription
    """.split()
)
