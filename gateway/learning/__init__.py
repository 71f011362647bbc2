"""The learning intake: tool records (evidence, interventions, placements) and gradebook
results with learning objectives, turned into evidence aligned to standards, for mastery."""
