from django.db import models


class Fast(models.Model):
    """A collective fast that people join from anywhere in the world."""

    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self):
        return self.name


class Participant(models.Model):
    """Someone taking part in a fast, shown on its map at an approximate location."""

    fast = models.ForeignKey(Fast, on_delete=models.CASCADE, related_name="participants")
    display_name = models.CharField(max_length=100)
    email = models.EmailField()
    city = models.CharField(max_length=100)
    latitude = models.DecimalField(max_digits=8, decimal_places=5)
    longitude = models.DecimalField(max_digits=8, decimal_places=5)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at"]

    def __str__(self):
        return f"{self.display_name} ({self.fast})"
